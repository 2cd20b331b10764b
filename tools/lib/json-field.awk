# json-field.awk - read one field of the flat JSON objects the benchmarks
# write (one object per line, string or number values, no nesting).
# Scripts prepend this file's text to their awk program:
#     awk "$(cat tools/lib/json-field.awk)"'{ print field($0, "name") }'
# (awk, not jq: every CI machine has awk.)
function field(line, key,    re, v) {
	re = "\"" key "\":(\"[^\"]*\"|[0-9.]+)"
	if (!match(line, re))
		return ""
	v = substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 3)
	gsub(/"/, "", v)
	return v
}
