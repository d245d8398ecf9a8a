import type { PostureFacts } from "../facts";
import type { PostureRule } from "../types";

const octal = (mode: number) => mode.toString(8).padStart(3, "0");
/** Bits that let the group or everyone else read, write or enter. */
const OTHERS = 0o077;
const GROUP_OR_OTHER_WRITE = 0o022;
const GROUP_OR_OTHER_SEARCH = 0o011;

export const secretSources: PostureRule<PostureFacts> = {
  id: "secrets.source",
  group: "secrets",
  title: "Secrets come from the environment or an owner-only file",
  meaning:
    "The session secret (AUTH_SECRET) signs every session; the encryption keys (ENCRYPTION_KEYS) open every sealed field and OAuth signing key. They come from the environment or from DATA_DIR/secrets.json, which must be readable by its owner only. ADMIN_PASSWORD is needed for the first start only; left in the environment, every process (and anyone who can read its environment) keeps the first admin's password.",
  fix: "chmod 600 DATA_DIR/secrets.json (Gatehouse refuses to start otherwise), or give AUTH_SECRET and ENCRYPTION_KEYS from your secret store; remove ADMIN_PASSWORD (and ADMIN_EMAIL) from the environment once the first admin exists.",
  evaluate(f) {
    const s = f.secrets;
    const fromFile = s.authSecretFrom === "file" || s.encryptionKeysFrom === "file";
    const sources = `session secret from ${s.authSecretFrom === "env" ? "AUTH_SECRET" : "secrets.json"}, encryption keys from ${
      s.encryptionKeysFrom === "env" ? "ENCRYPTION_KEYS" : s.encryptionKeysFrom === "file" ? "secrets.json" : "memory"
    }`;
    if (s.secretsFile && s.secretsFile.mode & OTHERS) {
      return {
        status: "fail",
        summary: `${s.secretsFile.path} has mode ${octal(s.secretsFile.mode)}: other users can read the secrets in it.`,
        details: [sources],
      };
    }
    if (fromFile && !s.secretsFile) {
      return {
        status: "warn",
        summary: "secrets.json is not there yet: it is generated (mode 0600) on the first start.",
        details: [sources],
      };
    }
    if (s.adminPasswordInEnv) {
      return {
        status: "warn",
        summary: "ADMIN_PASSWORD is still set in the environment after the first start.",
        details: [sources],
      };
    }
    const file = s.secretsFile ? ` (${s.secretsFile.path}, mode ${octal(s.secretsFile.mode)})` : "";
    return { status: "pass", summary: `Secrets are held safely: ${sources}${fromFile ? file : ""}.` };
  },
};

export const dataFolderModes: PostureRule<PostureFacts> = {
  id: "secrets.data-folder",
  group: "secrets",
  title: "The data folder is private",
  meaning:
    "DATA_DIR holds the database (personal data, password hashes, token hashes), its WAL, the rate-limit counters and, unless ENCRYPTION_KEYS is used, the keys. Other users of the machine must not be able to enter the folder, read a file in it, or replace one.",
  fix: "chmod 700 DATA_DIR and chmod 600 every file in it; run Gatehouse as its own user, owner of the folder.",
  evaluate(f) {
    const d = f.dataDir;
    if (d.mode === null) {
      return { status: "warn", summary: `${d.path} does not exist yet: it is created (mode 0700) on the first start.` };
    }
    const folder = `${d.path} has mode ${octal(d.mode)}`;
    const looseFiles = d.files.filter((file) => file.mode & OTHERS);
    const fileLines = looseFiles.map((file) => `${file.name} has mode ${octal(file.mode)}`);
    if (d.mode & GROUP_OR_OTHER_WRITE) {
      return {
        status: "fail",
        summary: `${folder}: other users can add, remove or replace files in it.`,
        details: fileLines,
      };
    }
    // A file is reachable by a class of users only if that class can also enter the folder (x bit).
    const groupEnters = (d.mode & 0o010) !== 0;
    const othersEnter = (d.mode & 0o001) !== 0;
    const reachable = looseFiles.filter(
      (file) => (groupEnters && file.mode & 0o070) || (othersEnter && file.mode & 0o007),
    );
    if (reachable.length > 0) {
      return {
        status: "fail",
        summary: `${folder} and files in it are open to other users.`,
        details: reachable.map((file) => `${file.name} has mode ${octal(file.mode)}`),
      };
    }
    if (d.mode & OTHERS) {
      return {
        status: "warn",
        summary: `${folder}: other users can ${d.mode & GROUP_OR_OTHER_SEARCH ? "enter it" : "list it"} (the files themselves are owner-only).`,
        details: fileLines,
      };
    }
    if (looseFiles.length > 0) {
      return {
        status: "warn",
        summary: "Files in the data folder are open to other users; only the folder's mode 700 keeps them out.",
        details: fileLines,
      };
    }
    return { status: "pass", summary: `${folder}; its ${d.files.length} files are owner-only.` };
  },
};
