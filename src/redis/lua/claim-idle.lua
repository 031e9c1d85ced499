-- eventwire script: claim-idle, version 1
-- Reclaim entries idle for at least min-idle ms, with their delivery counts.
-- KEYS (1): stream
-- ARGV: group, consumer, min-idle, cursor, count
-- Reply: {next cursor, entries, delivery counts, ids of pending entries found
--   deleted}
local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local entries = {}
local counts = {}
for _, e in ipairs(r[2]) do
  if e then
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
    entries[#entries + 1] = e
    counts[#counts + 1] = p[1] and p[1][4] or 1
  end
end
return {r[1], entries, counts, r[3] or {}}
