-- The read-write mix for wrk: record a COWS, read a flowsheet page, read a patient; each audited.
-- Environment: WP_TOKENS (comma-separated bearer tokens), WP_PATIENTS (comma-separated patient ids),
-- WP_BODY (a COWS body without taken_at).
local function split(s)
  local out = {}
  for part in string.gmatch(s or "", "[^,]+") do out[#out + 1] = part end
  return out
end

local tokens = split(os.getenv("WP_TOKENS"))
local patients = split(os.getenv("WP_PATIENTS"))
local body = os.getenv("WP_BODY")
local counter = 0
local thread_offset = 0
local threads = {}

function setup(thread)
  thread:set("thread_offset", #threads * 7919)
  threads[#threads + 1] = thread
end

function request()
  counter = counter + 1
  local n = counter + thread_offset
  local patient = patients[(n % #patients) + 1]
  local headers = {}
  headers["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1]
  local kind = n % 3
  if kind == 0 then
    headers["Content-Type"] = "application/json"
    local now = os.date("!%Y-%m-%dT%H:%M:%S+00:00")
    local payload = string.gsub(body, "}$", ', "taken_at": "' .. now .. '"}')
    return wrk.format("POST", "/api/v1/patients/" .. patient .. "/assessments/", headers, payload)
  elseif kind == 1 then
    return wrk.format("GET", "/api/v1/patients/" .. patient .. "/assessments/?page_size=50", headers)
  end
  return wrk.format("GET", "/api/v1/patients/" .. patient .. "/", headers)
end
