/**
 * A strict parser for RFC 8941 Structured Field Lists, for tests: it follows
 * the parsing algorithm of RFC 8941 §4.2 and throws on anything that is not
 * valid, so a header that merely looks right cannot pass. Supports what a
 * List can hold: Items and Inner Lists with Parameters; bare Integers,
 * Decimals, Strings, Tokens, Byte Sequences and Booleans.
 */
export type BareItem = number | string | boolean | { token: string } | { bytes: string };
export interface Item {
  value: BareItem;
  params: Map<string, BareItem>;
}
export interface InnerList {
  items: Item[];
  params: Map<string, BareItem>;
}

export class StructuredFieldError extends Error {}

export function parseList(input: string): Array<Item | InnerList> {
  const p = new Parser(input);
  p.skipSP();
  const members: Array<Item | InnerList> = [];
  while (!p.done()) {
    members.push(p.peek() === "(" ? p.innerList() : p.item());
    p.skipOWS();
    if (p.done()) return members;
    p.expect(",");
    p.skipOWS();
    if (p.done()) throw new StructuredFieldError("trailing comma");
  }
  return members;
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {
    if (/[^\x20-\x7e]/.test(s)) throw new StructuredFieldError("non-ASCII or control character");
  }
  done() {
    return this.i >= this.s.length;
  }
  peek() {
    return this.s[this.i] ?? "";
  }
  expect(c: string) {
    if (this.s[this.i] !== c) throw new StructuredFieldError(`expected "${c}" at ${this.i}`);
    this.i++;
  }
  skipSP() {
    while (this.peek() === " ") this.i++;
  }
  skipOWS() {
    while (this.peek() === " " || this.peek() === "\t") this.i++;
  }
  innerList(): InnerList {
    this.expect("(");
    const items: Item[] = [];
    for (;;) {
      this.skipSP();
      if (this.peek() === ")") {
        this.i++;
        return { items, params: this.params() };
      }
      items.push(this.item());
      if (this.peek() !== " " && this.peek() !== ")") throw new StructuredFieldError("bad inner list");
    }
  }
  item(): Item {
    return { value: this.bareItem(), params: this.params() };
  }
  params(): Map<string, BareItem> {
    const params = new Map<string, BareItem>();
    while (this.peek() === ";") {
      this.i++;
      this.skipSP();
      const key = this.key();
      let value: BareItem = true;
      if (this.peek() === "=") {
        this.i++;
        value = this.bareItem();
      }
      params.set(key, value);
    }
    return params;
  }
  key(): string {
    const m = /^[a-z*][a-z0-9_\-.*]*/.exec(this.s.slice(this.i));
    if (!m) throw new StructuredFieldError(`bad key at ${this.i}`);
    this.i += m[0].length;
    return m[0];
  }
  bareItem(): BareItem {
    const c = this.peek();
    if (c === "-" || /[0-9]/.test(c)) return this.number();
    if (c === '"') return this.string();
    if (c === ":") return this.bytes();
    if (c === "?") return this.boolean();
    if (/[A-Za-z*]/.test(c)) return this.token();
    throw new StructuredFieldError(`unexpected "${c}" at ${this.i}`);
  }
  number(): number {
    const m = /^-?[0-9]{1,15}(\.[0-9]{1,3})?/.exec(this.s.slice(this.i));
    if (!m) throw new StructuredFieldError("bad number");
    const intPart = m[0].replace("-", "").split(".")[0] as string;
    if (m[1] ? intPart.length > 12 : intPart.length > 15) throw new StructuredFieldError("number too long");
    this.i += m[0].length;
    if (/[0-9.]/.test(this.peek())) throw new StructuredFieldError("bad number");
    return Number(m[0]);
  }
  string(): string {
    this.expect('"');
    let out = "";
    for (;;) {
      const c = this.s[this.i++];
      if (c === undefined) throw new StructuredFieldError("unterminated string");
      if (c === '"') return out;
      if (c === "\\") {
        const next = this.s[this.i++];
        if (next !== '"' && next !== "\\") throw new StructuredFieldError("bad escape");
        out += next;
      } else out += c;
    }
  }
  token(): { token: string } {
    const m = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*/.exec(this.s.slice(this.i)) as RegExpExecArray;
    this.i += m[0].length;
    return { token: m[0] };
  }
  bytes(): { bytes: string } {
    const m = /^:([A-Za-z0-9+/=]*):/.exec(this.s.slice(this.i));
    if (!m) throw new StructuredFieldError("bad byte sequence");
    this.i += m[0].length;
    return { bytes: m[1] as string };
  }
  boolean(): boolean {
    const m = /^\?[01]/.exec(this.s.slice(this.i));
    if (!m) throw new StructuredFieldError("bad boolean");
    this.i += 2;
    return m[0] === "?1";
  }
}
