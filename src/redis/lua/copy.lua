-- eventwire script: copy, version 1
-- Append copies of entries of the bus's shared queue to one subscription
-- queue, where routing cannot write every destination in one step (Redis
-- Cluster: each destination's keys share a slot of their own). The
-- destination stream, when gone, comes back with its consumer group at the
-- start; when it cannot take a copy (a key of the wrong type), the copy is
-- parked in the destination's DLQ with the reason, added to its
-- `_failures` list; when that cannot take it either, nothing is written for
-- it and the caller parks it elsewhere. Every argument is checked before
-- anything is written; the destination is trimmed after.
-- Uses: lib/streams
-- KEYS (4): destination stream, its expiry set, its metadata hash, its DLQ
-- ARGV: destination group, destination queue name, maxlen, trim mode, now
--   (float seconds, as Python writes a float), then per entry: expireAt
--   ('' for none), field count, fields…
-- Reply: {per entry: 1 copied, 0 parked in the destination's DLQ, -1
--   nothing written; 1 when the destination stream had to come back, else
--   0; per entry, why the destination could not take its copy, or ''}
local group, queue, maxlen, mode, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local err = ew_maxlen_error(maxlen)
if err then return redis.error_reply(err) end
local pos = 6
while pos <= #ARGV do
  local n = tonumber(ARGV[pos + 1])
  err = ew_fields_error(n) or ew_expiry_error(ARGV[pos])
  if err then return redis.error_reply(err) end
  pos = pos + 2 + n
end
-- Why the destination cannot take a copy: its stream or metadata hash of
-- the wrong type, or, for a copy with an expiry, its :expiry set.
local bad = ew_type_error(KEYS[1], 'stream') or ew_type_error(KEYS[3], 'hash')
local expiryBad = ew_type_error(KEYS[2], 'zset')
local dlqBad = ew_type_error(KEYS[4], 'stream')
local out, reasons = {}, {}
local revived, copied = 0, false
pos = 6
while pos <= #ARGV do
  local exp, n = ARGV[pos], tonumber(ARGV[pos + 1])
  local fstart = pos + 2
  pos = fstart + n
  local why = bad
  if not why and exp ~= '' then why = expiryBad end
  if why then
    if dlqBad then
      out[#out + 1] = -1
    else
      local reason = 'undeliverable: the copy for ' .. queue .. ' cannot be written (' .. why .. ')'
      redis.call('XADD', KEYS[4], '*', unpack(ew_parked(fstart, n, reason, now)))
      out[#out + 1] = 0
    end
    reasons[#reasons + 1] = why
  else
    if not copied and ew_revive(KEYS[1], group, KEYS[3]) then revived = 1 end
    copied = true
    local args = {KEYS[1], '*'}
    for j = fstart, fstart + n - 1 do args[#args + 1] = ARGV[j] end
    local id = redis.call('XADD', unpack(args))
    if exp ~= '' then redis.call('ZADD', KEYS[2], exp, id) end
    out[#out + 1] = 1
    reasons[#reasons + 1] = ''
  end
end
if copied then ew_trim(KEYS[1], maxlen, mode, KEYS[3]) end
return {out, revived, reasons}
