import { evaluatePosture } from "./engine";
import { gatherPostureFacts, type PostureSources } from "./gather";
import type { PostureReport } from "./types";

/**
 * The deployment's posture now: every rule over facts read from this
 * deployment. One function for the CLI (`gatehouse check`) and the
 * procedure (`admin.posture.get`), so both always show the same verdicts.
 */
export async function postureReport(src: PostureSources): Promise<PostureReport> {
  return evaluatePosture(await gatherPostureFacts(src));
}
