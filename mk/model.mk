# Model checking of the shootdown and IPI-queue protocols with SPIN.
# Included by the top-level Makefile; see test/model/ and the "Models"
# section of docs/ARCHITECTURE.md.
#
#   make test-model   every Promela model under test/model/ verified
#                     exhaustively, every mutant shown to fail (with a
#                     short trace), KTAP with one closing
#                     "N passed, N failed"; pan is built in build/model/
#                     (the test/run-all.sh part 'model=...' of make test)
#   MODELS="ipiq flight_free/NO_PDE_INVAL"  only these checks
#                     (test/model/run-models.py --list names them)

MODELS ?=

.PHONY: test-model
test-model:
	@tools/deps.sh model python
	@/usr/bin/python3 test/model/run-models.py $(MODELS)
