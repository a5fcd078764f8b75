-- One request, repeated on every connection: method, path, body, session cookie and CSRF
-- token from the environment (LT_METHOD, LT_PATH, LT_BODY, LT_COOKIE, LT_CSRF).
wrk.method = os.getenv("LT_METHOD") or "GET"
wrk.path = os.getenv("LT_PATH") or "/"
local body = os.getenv("LT_BODY") or ""
if body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
local cookie = os.getenv("LT_COOKIE") or ""
if cookie ~= "" then wrk.headers["Cookie"] = cookie end
local csrf = os.getenv("LT_CSRF") or ""
if csrf ~= "" then wrk.headers["X-CSRF-Token"] = csrf end
