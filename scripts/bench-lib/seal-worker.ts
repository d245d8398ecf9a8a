import { parentPort, workerData } from "node:worker_threads";
import { loadConfig } from "@/server/config";
import { openKeyring } from "@/server/crypto/open-keyring";
import { newId } from "@/server/ids";
import { sealEmail, sealOptional } from "@/server/services/contact-codec";
import { contactPlain, contactTime, type SealedContact, type SealRequest, type SealWorkerData } from "./large-data";

/**
 * A worker thread of the large-database generator (large-data.ts): seals a
 * range of contacts with the app's codec under the data folder's own keyring
 * and sends back the INSERT parameters. Sealing is most of the cost of a
 * contact row, so it runs beside the thread that writes.
 */
const data = workerData as SealWorkerData;
const keyring = openKeyring(loadConfig(data.env));

parentPort?.on("message", ({ from, to }: SealRequest) => {
  const rows: SealedContact[] = [];
  for (let n = from; n < to; n++) {
    const id = newId("contact");
    const ownerId = data.userIds[n % data.userIds.length] as string;
    const plain = contactPlain(n);
    const sealed = sealEmail(keyring, { id, ownerId }, plain.email);
    const at = contactTime(data.start, data.contacts, n);
    rows.push([
      id,
      ownerId,
      plain.name,
      sealed.email,
      sealOptional(keyring, id, "phone", plain.phone),
      sealOptional(keyring, id, "notes", plain.notes),
      sealed.emailIndex,
      at,
      at,
    ]);
  }
  parentPort?.postMessage({ from, rows });
});
