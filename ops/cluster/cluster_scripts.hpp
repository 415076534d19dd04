// The Lua scripts the cluster runs inside Redis, so that each step is atomic (docs/cluster.md).
#pragma once

namespace tp::ops {

// An instance's heartbeat and the firm-wide limit, in one atomic step.
// KEYS: 1 the instance hash, 2 firm pnl, 3 firm seen, 4 firm state, 5 firm events.
// ARGV: 1 instance, 2 ttl ms, 3 firm limit (raw, > 0), 4 channel, 5 the instance's day P&L (raw),
//       6.. field, value pairs for the instance hash.
// Writes the instance hash (expiring after ttl), its P&L and heartbeat (Redis's clock); sums the
// day P&L of the instances seen within ttl (forgetting the others); when the sum is at or below
// -limit and the limit is armed, the firm state becomes HALTED (reason firm_loss_limit), its
// generation goes up, the limit is disarmed, the change is added to the firm's event stream and the
// generation is published. The limit re-arms
// once the sum is back above -limit, so an operator's resume is not undone by the same breach.
// Returns {state, gen, sum, live instances, reason, by, at_ms, sig}.
// Raw P&L are sums of Lua doubles: exact while |sum| < 2^53 raw units (90,071,992 in quote currency).
inline constexpr const char* kFirmSyncScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local inst, ttl, limit, chan, pnl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
local fields = {}
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
fields[#fields + 1] = 'heartbeat_ms'
fields[#fields + 1] = tostring(now)
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('HSET', KEYS[2], inst, pnl)
redis.call('HSET', KEYS[3], inst, now)
local sum, live = 0, 0
local pnls = {}
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do pnls[all[i]] = all[i + 1] end
local seen = redis.call('HGETALL', KEYS[3])
for i = 1, #seen, 2 do
  local name, at = seen[i], tonumber(seen[i + 1])
  if now - at <= ttl then
    local p = pnls[name]
    if p then
      sum = sum + tonumber(p)
      live = live + 1
    end
  else
    redis.call('HDEL', KEYS[3], name)
    redis.call('HDEL', KEYS[2], name)
  end
end
local st = redis.call('HMGET', KEYS[4], 'state', 'gen', 'armed', 'reason', 'by', 'at_ms', 'sig')
local state = st[1] or 'ACTIVE'
local gen = tonumber(st[2] or '0')
local armed = st[3] ~= '0'
local sum_text = string.format('%.0f', sum)
if sum <= -limit then
  if armed then
    gen = gen + 1
    state = 'HALTED'
    st[4], st[5], st[6], st[7] = 'firm_loss_limit', inst, tostring(now), ''
    redis.call('HSET', KEYS[4], 'state', state, 'gen', gen, 'armed', '0', 'reason', st[4], 'by', inst,
               'at_ms', now, 'sig', '', 'breach_sum', sum_text)
    redis.call('XADD', KEYS[5], 'MAXLEN', '~', '10000', '*', 'state', state, 'gen', gen, 'reason', st[4], 'by', inst,
               'at_ms', now, 'sum', sum_text, 'live', live)
    redis.call('PUBLISH', chan, gen)
  end
elseif not armed then
  redis.call('HSET', KEYS[4], 'armed', '1')
end
return {state, tostring(gen), sum_text, live, st[4] or '', st[5] or '', st[6] or '', st[7] or ''}
)lua";

// An operator's firm-wide command (`tickpipe cluster halt|reduce|resume`).
// KEYS: 1 firm state, 2 firm events. ARGV: 1 state, 2 the generation it was signed against, 3 by, 4 at_ms, 5 sig,
// 6 channel. Applies only if the generation is still ARGV[2] (else another command came first):
// the state, reason operator, generation + 1, added to the firm's event stream, published. Returns
// {1, gen} or {0, current gen}.
inline constexpr const char* kFirmCommandScript = R"lua(
local gen = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')
if gen ~= tonumber(ARGV[2]) then return {0, tostring(gen)} end
gen = gen + 1
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'gen', gen, 'reason', 'operator', 'by', ARGV[3], 'at_ms', ARGV[4],
           'sig', ARGV[5])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', '10000', '*', 'state', ARGV[1], 'gen', gen, 'reason', 'operator',
           'by', ARGV[3], 'at_ms', ARGV[4])
redis.call('PUBLISH', ARGV[6], gen)
return {1, tostring(gen)}
)lua";

// Journal records into the instance's stream, in order, stopping at the first failure so the stream
// never has a gap. KEYS: 1 the stream. ARGV: 1 MAXLEN (approximate), 2 the first record's line
// number, 3.. the records. Entry IDs are 0-<line number> (so a record already there - a resumed
// journal, a retry after a lost reply - is refused by Redis as an ID not above the top, and
// skipped, never doubled); the record is the field "r". Returns {added, skipped, error or ''}.
inline constexpr const char* kStreamAppendScript = R"lua(
local added, skipped = 0, 0
local first = tonumber(ARGV[2])
for i = 3, #ARGV do
  local id = '0-' .. string.format('%.0f', first + i - 3)
  local res = redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], id, 'r', ARGV[i])
  if type(res) == 'table' and res.err then
    if string.find(res.err, 'equal or smaller', 1, true) then
      skipped = skipped + 1
    else
      return {added, skipped, res.err}
    end
  else
    added = added + 1
  end
end
return {added, skipped, ''}
)lua";

}  // namespace tp::ops
