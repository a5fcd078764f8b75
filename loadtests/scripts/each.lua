-- A POST per line, each line once: LT_IDS names a file of lines « id<TAB>cookie<TAB>csrf »
-- (the dossier, and the session of the agent who sends it: the multi-tenant scenario mixes
-- agents of two ministries), LT_PATH a path with `{id}` (e.g.
-- /intake/api/v1/dossiers/{id}/submit). Each wrk thread takes every n-th line, so no two
-- threads send the same one; past the last, lines are sent again (and then counted as
-- refusals).
local threads, counter = {}, 1
function setup(thread)
  thread:set("index", counter)
  thread:set("count", tonumber(os.getenv("LT_THREADS") or "2"))
  counter = counter + 1
  table.insert(threads, thread)
end

local lines, next_line = {}, 1
function init(args)
  local i = 0
  for line in io.lines(os.getenv("LT_IDS")) do
    if i % count == index - 1 then
      local id, cookie, csrf = string.match(line, "^([^\t]+)\t([^\t]*)\t([^\t]*)$")
      table.insert(lines, {id = id, cookie = cookie, csrf = csrf})
    end
    i = i + 1
  end
end

function request()
  local line = lines[next_line]
  next_line = next_line % #lines + 1
  local path = string.gsub(os.getenv("LT_PATH"), "{id}", line.id)
  local headers = {}
  headers["Cookie"] = line.cookie
  headers["X-CSRF-Token"] = line.csrf
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", path, headers, "{}")
end
