#!/usr/bin/env bash
# Starts the workflow for the given games and prints the execution name.
#
#   PROJECT_ID=my-project deploy/trigger-workflow.sh <game_id> [<game_id> …]
#
# FUNCTION_URL defaults to the deployed service's URL; TRAINING_BUCKET to
# uball-training-data. WAIT=1 waits for the result (gcloud workflows run);
# otherwise the execution starts in the background (gcloud workflows execute).
set -euo pipefail

: "${PROJECT_ID:?set PROJECT_ID to the Google Cloud project}"
REGION="${REGION:-us-central1}"
SERVICE="${SERVICE:-extract-clips-game}"
WORKFLOW="${WORKFLOW:-basketball-training-pipeline}"
TRAINING_BUCKET="${TRAINING_BUCKET:-uball-training-data}"
MAX_WAIT_MINUTES="${MAX_WAIT_MINUTES:-120}"
POLL_INTERVAL_SECONDS="${POLL_INTERVAL_SECONDS:-30}"
RETRY_LIMIT="${RETRY_LIMIT:-3}"
STALE_AFTER_SECONDS="${STALE_AFTER_SECONDS:-120}"
WAIT="${WAIT:-0}"

if [[ $# -eq 0 ]]; then
  echo "usage: $0 <game_id> [<game_id> …]" >&2
  exit 2
fi
uuid_re='^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
ids=""
for id in "$@"; do
  if [[ ! "$id" =~ $uuid_re ]]; then
    echo "error: '$id' is not a game id (a UUID)" >&2
    exit 2
  fi
  ids+="${ids:+,}\"$id\""
done

if [[ -z "${FUNCTION_URL:-}" ]]; then
  FUNCTION_URL="$(gcloud --project "$PROJECT_ID" run services describe "$SERVICE" --region "$REGION" --format 'value(status.url)')"
fi

data="{\"game_ids\":[${ids}],\"function_url\":\"${FUNCTION_URL}\",\"training_bucket\":\"${TRAINING_BUCKET}\",\"max_wait_minutes\":${MAX_WAIT_MINUTES},\"poll_interval_seconds\":${POLL_INTERVAL_SECONDS},\"retry_limit\":${RETRY_LIMIT},\"stale_after_seconds\":${STALE_AFTER_SECONDS}}"
echo "Starting $WORKFLOW with $data" >&2

if [[ "$WAIT" == "1" ]]; then
  gcloud --project "$PROJECT_ID" workflows run "$WORKFLOW" --location "$REGION" --data "$data"
else
  gcloud --project "$PROJECT_ID" workflows execute "$WORKFLOW" --location "$REGION" --data "$data" --format 'value(name)'
  echo "Follow it with: deploy/check-workflow-status.sh [EXECUTION_ID]" >&2
fi
