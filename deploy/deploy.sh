#!/usr/bin/env bash
# Builds the playclips image, deploys it as a private Cloud Run service, lets
# the workflow's service account invoke it, and deploys the workflow.
#
#   PROJECT_ID=my-project deploy/deploy.sh
#
# Run from anywhere; paths are resolved from the repository root. Needs gcloud
# logged in as someone who may deploy Cloud Run, Workflows and Cloud Build,
# and the one-time setup in docs/deploy.md (APIs, service accounts, secret,
# Artifact Registry repository).
set -euo pipefail

: "${PROJECT_ID:?set PROJECT_ID to the Google Cloud project}"
REGION="${REGION:-us-central1}"
SERVICE="${SERVICE:-extract-clips-game}"
WORKFLOW="${WORKFLOW:-basketball-training-pipeline}"
# Identity of the Cloud Run service: reads videos, writes training data.
SERVICE_SA_NAME="${SERVICE_SA_NAME:-basketball-training-sa}"
# Identity of the workflow: invokes the service, lists/reads the training bucket.
WORKFLOW_SA_NAME="${WORKFLOW_SA_NAME:-basketball-workflow-sa}"
SERVICE_SA="${SERVICE_SA_NAME}@${PROJECT_ID}.iam.gserviceaccount.com"
WORKFLOW_SA="${WORKFLOW_SA_NAME}@${PROJECT_ID}.iam.gserviceaccount.com"
AR_REPO="${AR_REPO:-playclips}"
IMAGE_TAG="${IMAGE_TAG:-$(date -u +%Y%m%d-%H%M%S)}"
IMAGE="${IMAGE:-${REGION}-docker.pkg.dev/${PROJECT_ID}/${AR_REPO}/${SERVICE}:${IMAGE_TAG}}"
SECRET_NAME="${SECRET_NAME:-supabase-service-key}"
MEMORY="${MEMORY:-8Gi}"
CPU="${CPU:-2}"
MAX_INSTANCES="${MAX_INSTANCES:-40}"
SKIP_BUILD="${SKIP_BUILD:-0}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ENV_FILE="deploy/.env.yaml"
if [[ ! -f "$ENV_FILE" ]]; then
  echo "error: $ENV_FILE is missing: copy deploy/.env.yaml.example and adjust it (no secrets in it)" >&2
  exit 2
fi
if grep -q '^SUPABASE_SERVICE_KEY' "$ENV_FILE"; then
  echo "error: $ENV_FILE sets SUPABASE_SERVICE_KEY: remove it, the key comes from Secret Manager ($SECRET_NAME)" >&2
  exit 2
fi

gc() { gcloud --project "$PROJECT_ID" --quiet "$@"; }

# 1. Image: deploy/Dockerfile with the repository root as context.
if [[ "$SKIP_BUILD" != "1" ]]; then
  echo "==> building $IMAGE"
  gc builds submit \
    --region "$REGION" \
    --config deploy/cloudbuild.yaml \
    --ignore-file deploy/gcloudignore \
    --substitutions "_IMAGE=${IMAGE}" \
    .
fi

# 2. Private Cloud Run service.
#  --concurrency 1: one game per instance (8 GiB, two ffmpeg at a time).
#  --timeout 3600: the longest a request may run (Cloud Run's maximum).
#  --no-cpu-throttling: the workflow hangs up after 10 s (fire-and-forget); from
#    then on Cloud Run no longer counts the request as active, so with CPU
#    allocated "only during requests" the game would run on a throttled CPU.
#    Instance-based billing keeps the CPU while the game finishes.
echo "==> deploying Cloud Run service $SERVICE"
gc run deploy "$SERVICE" \
  --region "$REGION" \
  --image "$IMAGE" \
  --no-allow-unauthenticated \
  --service-account "$SERVICE_SA" \
  --memory "$MEMORY" \
  --cpu "$CPU" \
  --timeout 3600 \
  --concurrency 1 \
  --max-instances "$MAX_INSTANCES" \
  --no-cpu-throttling \
  --execution-environment gen2 \
  --env-vars-file "$ENV_FILE" \
  --set-secrets "SUPABASE_SERVICE_KEY=${SECRET_NAME}:latest"

SERVICE_URL="$(gc run services describe "$SERVICE" --region "$REGION" --format 'value(status.url)')"

# 3. Only the workflow's identity may call the service: Workflows sends an OIDC
#    token for it (auth: {type: OIDC}), Cloud Run checks it against this binding.
echo "==> granting roles/run.invoker on $SERVICE to $WORKFLOW_SA"
gc run services add-iam-policy-binding "$SERVICE" \
  --region "$REGION" \
  --member "serviceAccount:${WORKFLOW_SA}" \
  --role roles/run.invoker >/dev/null

# 4. The workflow.
echo "==> deploying workflow $WORKFLOW"
gc workflows deploy "$WORKFLOW" \
  --location "$REGION" \
  --source deploy/workflows/basketball-training-pipeline.yaml \
  --service-account "$WORKFLOW_SA"

echo
echo "Service URL: $SERVICE_URL"
echo "Run it:      deploy/trigger-workflow.sh <game_id> [<game_id> …]"
