-- A POST per id, each id once: LT_IDS names a file of ids (one per line), LT_PATH a path
-- with `{id}` (e.g. /intake/api/v1/dossiers/{id}/submit). Each wrk thread takes every
-- n-th id, so no two threads send the same one; past the last, ids are sent again (and
-- then counted as refusals).
local threads, counter = {}, 1
function setup(thread)
  thread:set("index", counter)
  thread:set("count", tonumber(os.getenv("LT_THREADS") or "2"))
  counter = counter + 1
  table.insert(threads, thread)
end

local ids, next_id = {}, 1
local headers = {}
function init(args)
  local i = 0
  for line in io.lines(os.getenv("LT_IDS")) do
    if i % count == index - 1 then table.insert(ids, line) end
    i = i + 1
  end
  headers["Cookie"] = os.getenv("LT_COOKIE")
  headers["X-CSRF-Token"] = os.getenv("LT_CSRF")
  headers["Content-Type"] = "application/json"
end

function request()
  local id = ids[next_id]
  next_id = next_id % #ids + 1
  local path = string.gsub(os.getenv("LT_PATH"), "{id}", id)
  return wrk.format("POST", path, headers, "{}")
end
