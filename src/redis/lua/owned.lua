-- eventwire script: owned, version 2
-- Which of these entries are pending to this consumer (routing on Redis
-- Cluster copies only what is still its own), and which destinations have
-- their copy of each already: the routing progress a router records when
-- some destinations took their copies and another failed, so that
-- whichever router routes the entry again (after reclaiming it) copies it
-- only to the destinations still without one.
-- KEYS (2): stream, its routing progress hash (entry id -> JSON array of
--   destination queue names)
-- ARGV: group, consumer, ids…
-- Reply: {per id, 1 when pending to the consumer, else 0; per id, its
--   routing progress, or ''}
local out, done = {}, {}
local progress = redis.call('TYPE', KEYS[2]).ok == 'hash'
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  out[#out + 1] = (#p > 0 and p[1][2] == ARGV[2]) and 1 or 0
  done[#done + 1] = progress and redis.call('HGET', KEYS[2], ARGV[i]) or ''
end
return {out, done}
