/**
 * Every command module, imported once for its `defineCommand` calls. A new
 * feature adds its module here (e.g. `import "./token";`).
 */
import "./audit";
import "./audit-head";
import "./backup";
import "./check";
import "./db";
import "./cors";
import "./keys";
import "./limits";
import "./oauth";
import "./second-factors";
import "./secrets";
import "./token";
import "./user";
