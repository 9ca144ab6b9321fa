-- walmesh redis target: applies one entry atomically, versioned by the entry's write time.
--
-- KEYS[1]  the data key
-- KEYS[2]  its version record, a hash: <data key>:walmesh-version
-- ARGV[1]  op: set | delete | expire | hset | hdel
-- ARGV[2]  the entry's write time, epoch ms (the version)
-- ARGV[3]  tombstone retention, ms (> 0)
-- ARGV[4]  ttl in ms for set / expire, 0 for none
-- ARGV[5..] set: value | hset: field, value, ... | hdel: field, ...
--
-- Version record fields:
--   k        write time of the last whole-key write (set, delete)
--   e        write time of the last expire
--   f:<name> write time of the last hset / hdel of one hash field
-- An incoming write applies when its write time is >= the versions it competes with, so a
-- redelivery rewrites the same value and an older entry never overwrites a newer one.
-- The record lives as long as the data key, plus the tombstone retention once the key is deleted
-- or expires: an older write arriving within that window cannot resurrect the key.
--
-- Returns 'applied', 'partial' (some hash fields had newer versions), 'stale' (a newer write
-- already won; nothing changed) or 'missing' (expire of an absent key; nothing changed).
local key, vkey = KEYS[1], KEYS[2]
local op, t, retention, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])

local function newer(name)
  local v = redis.call('HGET', vkey, name)
  return v and tonumber(v) > t
end

local function keep_versions()
  local pttl = redis.call('PTTL', key)
  if pttl == -1 then
    redis.call('PERSIST', vkey)
  elseif pttl == -2 then
    redis.call('PEXPIRE', vkey, retention)
  else
    redis.call('PEXPIRE', vkey, pttl + retention)
  end
end

local function newer_fields()
  local newer_than_t, older_than_t = {}, {}
  local versions = redis.call('HGETALL', vkey)
  for i = 1, #versions, 2 do
    local name = versions[i]
    if string.sub(name, 1, 2) == 'f:' then
      if tonumber(versions[i + 1]) > t then
        newer_than_t[string.sub(name, 3)] = true
      else
        older_than_t[#older_than_t + 1] = name
      end
    end
  end
  return newer_than_t, older_than_t
end

if op == 'set' then
  if newer('k') then return 'stale' end
  local fields_newer = newer_fields()
  if next(fields_newer) ~= nil then return 'stale' end
  local expire_newer = newer('e')
  local keep_e = nil
  if expire_newer then
    -- a newer expire already gave this key its deadline: keep it, or stay expired
    if redis.call('EXISTS', key) == 0 then return 'stale' end
    redis.call('SET', key, ARGV[5], 'KEEPTTL')
    keep_e = redis.call('HGET', vkey, 'e')
  elseif ttl > 0 then
    redis.call('SET', key, ARGV[5], 'PX', ttl)
  else
    redis.call('SET', key, ARGV[5])
  end
  redis.call('DEL', vkey)
  redis.call('HSET', vkey, 'k', ARGV[2])
  if keep_e then redis.call('HSET', vkey, 'e', keep_e) end
  keep_versions()
  return 'applied'

elseif op == 'delete' then
  if newer('k') then return 'stale' end
  local fields_newer, fields_older = newer_fields()
  for _, name in ipairs(fields_older) do redis.call('HDEL', vkey, name) end
  local partial = next(fields_newer) ~= nil
  if partial and redis.call('TYPE', key)['ok'] == 'hash' then
    -- fields written after this delete survive it
    for _, field in ipairs(redis.call('HKEYS', key)) do
      if not fields_newer[field] then redis.call('HDEL', key, field) end
    end
  else
    redis.call('DEL', key)
  end
  if not newer('e') then redis.call('HDEL', vkey, 'e') end
  redis.call('HSET', vkey, 'k', ARGV[2])
  keep_versions()
  if partial then return 'partial' end
  return 'applied'

elseif op == 'expire' then
  if newer('k') or newer('e') then return 'stale' end
  if redis.call('PEXPIRE', key, ttl) == 0 then return 'missing' end
  redis.call('HSET', vkey, 'e', ARGV[2])
  keep_versions()
  return 'applied'

elseif op == 'hset' or op == 'hdel' then
  if newer('k') then return 'stale' end
  local kind = redis.call('TYPE', key)['ok']
  if kind ~= 'hash' and kind ~= 'none' then
    return redis.error_reply('WRONGTYPE ' .. op .. ' needs a hash but the key holds a ' .. kind)
  end
  local applied, skipped = 0, 0
  local step = 1
  if op == 'hset' then step = 2 end
  for i = 5, #ARGV, step do
    local field = ARGV[i]
    if newer('f:' .. field) then
      skipped = skipped + 1
    else
      if op == 'hset' then
        redis.call('HSET', key, field, ARGV[i + 1])
      else
        redis.call('HDEL', key, field)
      end
      redis.call('HSET', vkey, 'f:' .. field, ARGV[2])
      applied = applied + 1
    end
  end
  if applied == 0 then return 'stale' end
  keep_versions()
  if skipped > 0 then return 'partial' end
  return 'applied'
end

return redis.error_reply('ERR walmesh: unknown op ' .. tostring(op))
