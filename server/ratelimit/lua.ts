/**
 * Lua scripts of the Redis store, for what @upstash/ratelimit does not do
 * (escalating lockouts, the rejection board). Each runs atomically in Redis.
 * They follow the same rules as the embedded store's SQL (store-embedded.ts);
 * the contract suite runs against both.
 *
 * A lockout is one hash per subject: f = failures in the current window,
 * fu = end of that window, lv = escalation level, lu = until when the level
 * is remembered, lk = end of the current lock, and h:<attempt> = until when
 * a reserved attempt holds its place (all epoch ms, from the caller's clock,
 * passed as ARGV). Holds are not failures: only a settled failure counts
 * one. The lock index is a sorted set (member = subject, score = lk) for the
 * dashboard's list.
 *
 * Numbers are written with %.0f: Lua's default number formatting would turn
 * large integers into 1.7e+12.
 */

const COMMON = `
local function num(key, name) return tonumber(redis.call('HGET', key, name) or '0') end
local function s(x) return string.format('%.0f', x) end
-- Starts the next lock of an escalating lockout. rule = {subject, limit, window, baseLock, maxLock, memory}
local function lock(key, index, rule, now)
  local level = 0
  if num(key, 'lu') > now then level = num(key, 'lv') end
  level = level + 1
  local duration = math.min(rule[4] * 2 ^ math.min(level - 1, 30), rule[5])
  local lockedUntil = now + duration
  local levelUntil = lockedUntil + rule[6]
  redis.call('HSET', key, 'f', '0', 'fu', '0', 'lv', s(level), 'lu', s(levelUntil), 'lk', s(lockedUntil))
  redis.call('PEXPIRE', key, s(levelUntil - now + 60000))
  redis.call('ZADD', index, s(lockedUntil), rule[1])
  return lockedUntil, level
end
local function ruleAt(base)
  return {ARGV[base + 1], tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3]), tonumber(ARGV[base + 4]),
    tonumber(ARGV[base + 5]), tonumber(ARGV[base + 6])}
end
-- The attempts in flight (holds that have not lapsed) and when the first of them lapses; lapsed ones go.
local function holds(key, now)
  local flat = redis.call('HGETALL', key)
  local live, first = 0, 0
  for i = 1, #flat, 2 do
    if string.sub(flat[i], 1, 2) == 'h:' then
      local untilMs = tonumber(flat[i + 1])
      if untilMs <= now then
        redis.call('HDEL', key, flat[i])
      else
        live = live + 1
        if first == 0 or untilMs < first then first = untilMs end
      end
    end
  end
  return live, first
end
-- Keeps the hash as long as anything in it matters (a lapsed field is harmless: every read checks the time).
local function keep(key, now, atLeast)
  local untilMs = math.max(num(key, 'fu'), num(key, 'lu'), num(key, 'lk'), atLeast)
  redis.call('PEXPIRE', key, s(untilMs - now + 60000))
end
`;

/**
 * KEYS: one lockout hash per subject, then the lock index.
 * ARGV: now, attempt id, hold ms, then 6 values per subject (subject, limit,
 * windowMs, baseLockMs, maxLockMs, memoryMs).
 * Returns {1, 0} when the attempt holds its place; {0, retryAt, [subject,
 * lockedUntil, level]...} when refused (retryAt: the end of the lock, or
 * when the first attempt in flight lapses).
 *
 * Nothing here counts a failure, so this script running late (sent before a
 * Redis hung, run when it resumes, with the old `now`) can only add a hold
 * that has lapsed already or soon will.
 */
export const RESERVE_SCRIPT = `${COMMON}
local now = tonumber(ARGV[1])
local hold = 'h:' .. ARGV[2]
local holdUntil = now + tonumber(ARGV[3])
local n = #KEYS - 1
local index = KEYS[n + 1]
local lockedUntil = 0
for i = 1, n do
  local lk = num(KEYS[i], 'lk')
  if lk > now and lk > lockedUntil then lockedUntil = lk end
end
if lockedUntil > 0 then return {0, lockedUntil} end
local result = {0, 0}
local refused = false
for i = 1, n do
  local rule = ruleAt(3 + (i - 1) * 6)
  local f = num(KEYS[i], 'f')
  if num(KEYS[i], 'fu') <= now then f = 0 end
  local live, first = holds(KEYS[i], now)
  if f >= rule[2] then
    -- Failures already at the limit without a lock (the limit was lowered): they are failures, so lock.
    local untilMs, level = lock(KEYS[i], index, rule, now)
    if untilMs > result[2] then result[2] = untilMs end
    result[#result + 1] = rule[1]
    result[#result + 1] = untilMs
    result[#result + 1] = level
    refused = true
  elseif f + live + 1 > rule[2] then
    if first > result[2] then result[2] = first end
    refused = true
  end
end
if refused then return result end
for i = 1, n do
  redis.call('HSET', KEYS[i], hold, s(holdUntil))
  keep(KEYS[i], now, holdUntil)
end
return {1, 0}
`;

/**
 * KEYS: one lockout hash per subject, then the lock index.
 * ARGV: now, attempt id, outcome ("success" | "failure" | "abandoned"), then 6 values per subject.
 * Returns the subjects locked by this call: [subject, lockedUntil, level]...
 */
export const SETTLE_SCRIPT = `${COMMON}
local now = tonumber(ARGV[1])
local hold = 'h:' .. ARGV[2]
local outcome = ARGV[3]
local n = #KEYS - 1
local index = KEYS[n + 1]
local result = {}
for i = 1, n do
  local key = KEYS[i]
  local rule = ruleAt(3 + (i - 1) * 6)
  redis.call('HDEL', key, hold)
  if outcome == 'failure' and num(key, 'lk') <= now then
    local f = num(key, 'f')
    local fu = num(key, 'fu')
    if fu <= now then f = 0; fu = now + rule[3] end
    f = f + 1
    if f >= rule[2] then
      local untilMs, level = lock(key, index, rule, now)
      result[#result + 1] = rule[1]
      result[#result + 1] = untilMs
      result[#result + 1] = level
    else
      redis.call('HSET', key, 'f', s(f), 'fu', s(fu))
      keep(key, now, fu)
    end
  end
end
return result
`;

/** KEYS: lockout hashes. ARGV: now, then the subjects. Returns [subject, lockedUntil, level]... for those locked. */
export const LOCKS_OF_SCRIPT = `${COMMON}
local now = tonumber(ARGV[1])
local result = {}
for i = 1, #KEYS do
  local lk = num(KEYS[i], 'lk')
  if lk > now then
    result[#result + 1] = ARGV[i + 1]
    result[#result + 1] = lk
    result[#result + 1] = num(KEYS[i], 'lv')
  end
end
return result
`;

/** KEYS: the lockout hash, the lock index. ARGV: subject. Returns 1 when there was state to clear. */
export const UNLOCK_SCRIPT = `
local deleted = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return deleted
`;

/** KEYS: the lock index. ARGV: now, max. Returns subjects locked now, latest end first (levels come from LOCKS_OF). */
export const LIST_LOCKS_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
`;

/**
 * KEYS: this minute's rejection set. ARGV: subject, retention ms.
 * A minute keeps at most ~2000 subjects (the least limited are dropped), so
 * a flood of distinct addresses cannot grow it without bound.
 */
export const RECORD_REJECTION_SCRIPT = `
redis.call('ZINCRBY', KEYS[1], 1, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if redis.call('ZCARD', KEYS[1]) > 2000 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -1001) end
return 1
`;

/** KEYS: the minute sets to add up. ARGV: max. Returns [subject, count]... most first. */
export const TOP_REJECTIONS_SCRIPT = `
local command = {'ZUNION', #KEYS}
for i = 1, #KEYS do command[#command + 1] = KEYS[i] end
command[#command + 1] = 'WITHSCORES'
local scored = redis.call(unpack(command))
local result = {}
local max = tonumber(ARGV[1])
local i = #scored - 1
while i >= 1 and #result < max * 2 do
  result[#result + 1] = scored[i]
  result[#result + 1] = tonumber(scored[i + 1])
  i = i - 2
end
return result
`;
