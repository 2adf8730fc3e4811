/**
 * The REST call that starts a Vertex AI supervised tuning job from the two
 * files (tuningJobs.create: baseModel, supervisedTuningSpec.trainingDatasetUri
 * and validationDatasetUri; see docs/dataset-format.md). Printed by
 * `dataset build` and written into the dataset card, ready to paste.
 */
export function tuningJobCall(name: string, training: string, validation: string): string {
  const body = {
    baseModel: "gemini-2.5-flash",
    tunedModelDisplayName: name,
    supervisedTuningSpec: { trainingDatasetUri: training, validationDatasetUri: validation },
  };
  return [
    "PROJECT_ID=your-project REGION=us-central1",
    'curl -X POST -H "Authorization: Bearer $(gcloud auth print-access-token)" -H "Content-Type: application/json" \\',
    '  "https://${REGION}-aiplatform.googleapis.com/v1/projects/${PROJECT_ID}/locations/${REGION}/tuningJobs" \\',
    `  -d '${JSON.stringify(body)}'`,
  ].join("\n");
}

/** The REST call that runs a batch prediction of the tuned model over the request file. */
export function batchPredictionCall(name: string, requests: string): string {
  const outputPrefix = requests.replace(/[^/]+$/, "predictions/");
  const body = {
    displayName: `${name}-validation`,
    model: "projects/YOUR_PROJECT/locations/us-central1/models/TUNED_MODEL_ID",
    inputConfig: { instancesFormat: "jsonl", gcsSource: { uris: [requests] } },
    outputConfig: { predictionsFormat: "jsonl", gcsDestination: { outputUriPrefix: outputPrefix } },
  };
  return [
    "PROJECT_ID=your-project REGION=us-central1",
    'curl -X POST -H "Authorization: Bearer $(gcloud auth print-access-token)" -H "Content-Type: application/json" \\',
    '  "https://${REGION}-aiplatform.googleapis.com/v1/projects/${PROJECT_ID}/locations/${REGION}/batchPredictionJobs" \\',
    `  -d '${JSON.stringify(body)}'`,
  ].join("\n");
}
