# The two commands a newcomer needs: `make demo` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= $(CURDIR)/.venv
BIN := $(VENV)/bin
CLUSTER_SH := $(CURDIR)/hack/local-cluster/cluster.sh
CLUSTER_DIR ?= $(or $(OSHA_CLUSTER_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/openshift_serverless_ha/cluster)
REPLICAS ?= 3

# Collections are imported from an ansible_collections/<namespace>/<name> tree: link this checkout into one.
COLLECTIONS := $(VENV)/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/openshift_serverless/ha
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := false
export PATH := $(BIN):$(PATH)

# KUBECONFIG given on the command line (make test KUBECONFIG=~/.kube/config) selects your own cluster;
# otherwise the local cluster is started and used. A KUBECONFIG merely exported in your shell is ignored,
# so that `make test` never touches a cluster you did not name.
ifeq ($(origin KUBECONFIG),command line)
CLUSTER_TARGET := external-cluster
export KUBECONFIG
else
CLUSTER_TARGET := cluster-up
CLUSTER_ENV = set -a && source $(CLUSTER_DIR)/cluster.env && set +a &&
endif

.PHONY: help
help:
	@echo "make demo   - set everything up, start the local cluster, set Eventing and Kafka HA to $(REPLICAS)"
	@echo "make test   - unit tests, sanity, lint, integration tests and molecule on the local cluster"
	@echo "steps: deps unit sanity lint changelog-lint integration molecule cluster-up cluster-down bench build"

.PHONY: deps
deps: $(VENV)/.deps-installed $(COLLECTION_LINK)

$(VENV)/.deps-installed: requirements.txt test-requirements.txt
	@echo ">> installing Python dependencies into $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r test-requirements.txt
	@touch $@

$(COLLECTION_LINK):
	@mkdir -p $(dir $@)
	@ln -sfn $(CURDIR) $@

.PHONY: cluster-up cluster-down external-cluster
cluster-up:
	bash $(CLUSTER_SH) up

cluster-down:
	bash $(CLUSTER_SH) down

external-cluster:
	@echo ">> using the cluster of KUBECONFIG=$(KUBECONFIG)"

.PHONY: unit
unit: deps
	$(BIN)/python -m pytest tests/unit -q -p no:cacheprovider

.PHONY: sanity
sanity: deps
	bash hack/sanity.sh

.PHONY: lint
lint: deps
	$(BIN)/ansible-lint

.PHONY: changelog-lint
changelog-lint: deps
	$(BIN)/antsibull-changelog lint

.PHONY: integration
integration: deps $(CLUSTER_TARGET)
	$(CLUSTER_ENV) $(BIN)/python -m pytest tests/integration -v -p no:cacheprovider

# The no_rights scenario needs a context without rights: the local cluster has one; on your own
# cluster name it with HA_TEST_NO_RIGHTS_CONTEXT=... or only the default scenario runs.
.PHONY: molecule
molecule: deps $(CLUSTER_TARGET)
	$(CLUSTER_ENV) cd extensions && if [ -n "$${HA_TEST_NO_RIGHTS_CONTEXT:-}" ]; then \
		$(BIN)/molecule test --all; \
	else \
		echo ">> molecule: no_rights scenario not run (HA_TEST_NO_RIGHTS_CONTEXT names no context without rights)"; \
		$(BIN)/molecule test -s default; \
	fi

.PHONY: test
test: unit sanity lint changelog-lint integration molecule

.PHONY: demo
demo: deps $(CLUSTER_TARGET)
	$(CLUSTER_ENV) bash hack/demo.sh $(REPLICAS)

.PHONY: bench
bench: deps $(CLUSTER_TARGET)
	$(CLUSTER_ENV) $(BIN)/python hack/bench.py

.PHONY: build
build: deps
	$(BIN)/ansible-galaxy collection build --force --output-path build/
