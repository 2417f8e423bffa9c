# The seed project's targets. Local ones run the CLI from the working tree; `up` needs Docker with
# docker-compose; `images` and `deploy` need gcloud, kubectl and a configured project (infra/terraform first).
SHELL := /bin/bash
.DEFAULT_GOAL := help

RECSYS       := node bin/recsys.js
OVERLAY      ?= dev
PROJECT_ID   ?= $(shell gcloud config get-value project 2>/dev/null)
REGION       ?= europe-west1
TAG          ?= $(shell git rev-parse --short HEAD)
USER_ID      ?= 1
K            ?= 10

.PHONY: help install lint typecheck test api jupyter train predict up down images deploy

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

install: ## dependencies from the lockfile
	npm ci --no-audit --no-fund

lint: ## eslint + prettier
	npm run lint

typecheck: ## tsc --noEmit
	npm run typecheck

test: ## the test suite (needs PostgreSQL at 127.0.0.1:5432, database test)
	npm test

api: ## the REST API on PORT (default 8080) over the database and the current artifact
	$(RECSYS) serve

jupyter: ## the tslab notebooks on Debian's Jupyter (scripts/notebooks.sh: kernel setup, then Jupyter)
	npm run notebooks

train: ## retrain from the database (ratings posted through the API included), then promote if not worse
	$(RECSYS) train --source db --evaluate --no-promote
	$(RECSYS) artifacts gate $${RECSYS_MODEL:-als}

predict: ## top-K movies for USER_ID (make predict USER_ID=42 K=5)
	$(RECSYS) recommend --user $(USER_ID) --k $(K)

up: ## the whole stack with docker-compose: postgres, migrate, seed, train, api, jupyter
	docker-compose up -d --build

down: ## stop the stack (volumes kept)
	docker-compose down

images: ## build and push both images with Cloud Build (cloudbuild.yaml)
	gcloud builds submit --project $(PROJECT_ID) --config cloudbuild.yaml \
	  --substitutions _REGION=$(REGION),_TAG=$(TAG) .

deploy: ## apply the kustomize overlay (OVERLAY=dev|prod) to the current kubectl context
	kubectl apply -k infra/k8s/overlays/$(OVERLAY)
	kubectl -n recsys-$(OVERLAY) rollout status deployment/recsys-api --timeout=5m
