/**
 * "Firefox on Windows" from a User-Agent header: enough for a person to
 * recognise their own browsers on the account page. Browsers are tried in an
 * order that matters (Edge and Opera also say Chrome, Chrome also says
 * Safari); anything unrecognised says so instead of guessing.
 */
export interface Device {
  browser: string | null;
  os: string | null;
  /** "Firefox on Windows", "Chrome", "curl", or "Unknown device". */
  label: string;
}

const BROWSERS: Array<[RegExp, string]> = [
  [/\bEdg(?:e|A|iOS)?\/[\d.]+/, "Edge"],
  [/\bOPR\/[\d.]+|\bOpera\b/, "Opera"],
  [/\bSamsungBrowser\/[\d.]+/, "Samsung Internet"],
  [/\bFirefox\/[\d.]+|\bFxiOS\/[\d.]+/, "Firefox"],
  [/\bHeadlessChrome\/[\d.]+/, "Headless Chrome"],
  [/\bChrome\/[\d.]+|\bCriOS\/[\d.]+|\bChromium\/[\d.]+/, "Chrome"],
  [/\bVersion\/[\d.]+.*\bSafari\/[\d.]+/, "Safari"],
  [/^curl\/[\d.]+/, "curl"],
  [/^Wget\/[\d.]+/, "Wget"],
  [/^(?:python-requests|Python-urllib)\/[\d.]+/, "Python"],
  [/^(?:node-fetch|undici|node)\b/i, "Node.js"],
  [/^Mozilla\/5\.0 \(compatible; MSIE|Trident\//, "Internet Explorer"],
];

const SYSTEMS: Array<[RegExp, string]> = [
  [/\biPhone\b/, "iPhone"],
  [/\biPad\b/, "iPad"],
  [/\bAndroid\b/, "Android"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bWindows\b/, "Windows"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bLinux\b|\bX11\b/, "Linux"],
];

export function parseDevice(userAgent: string | null | undefined): Device {
  const ua = (userAgent ?? "").slice(0, 512);
  const browser = BROWSERS.find(([re]) => re.test(ua))?.[1] ?? null;
  const os = SYSTEMS.find(([re]) => re.test(ua))?.[1] ?? null;
  const label = browser && os ? `${browser} on ${os}` : (browser ?? os ?? "Unknown device");
  return { browser, os, label };
}
