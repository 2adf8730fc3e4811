#!/usr/bin/env bash
# Shows workflow executions.
#
#   PROJECT_ID=my-project deploy/check-workflow-status.sh               # latest executions
#   PROJECT_ID=my-project deploy/check-workflow-status.sh <EXECUTION_ID> # one execution: state, result or error
set -euo pipefail

: "${PROJECT_ID:?set PROJECT_ID to the Google Cloud project}"
REGION="${REGION:-us-central1}"
WORKFLOW="${WORKFLOW:-basketball-training-pipeline}"
LIMIT="${LIMIT:-10}"

if [[ $# -eq 0 ]]; then
  gcloud --project "$PROJECT_ID" workflows executions list "$WORKFLOW" \
    --location "$REGION" --limit "$LIMIT" \
    --format 'table(name.basename():label=EXECUTION, state, startTime, endTime)'
  exit 0
fi

execution="${1##*/}"
gcloud --project "$PROJECT_ID" workflows executions describe "$execution" \
  --workflow "$WORKFLOW" --location "$REGION" \
  --format 'yaml(name.basename(), state, startTime, endTime, argument, result, error)'
