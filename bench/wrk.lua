-- wrk.lua - the one wrk script every benchmark scenario runs.
--
-- run.sh picks the scenario and passes its inputs through the environment
-- (each wrk thread has its own Lua state, and os.getenv works in all of
-- them):
--
--   BENCH_MODE    me      GET  /users/me              (Bearer)
--                 list    GET  /posts?limit=100
--                 create  POST /posts                 (Bearer, JSON)
--                 patch   PATCH /posts/{id}           (Bearer, JSON; ids
--                                                      from BENCH_IDS, spread
--                                                      over the threads)
--                 login   POST /auth/token            (form body)
--   BENCH_TOKEN   access token for the Bearer modes
--   BENCH_IDS     comma-separated post ids for "patch"
--   BENCH_USER, BENCH_PASS   credentials for "login"
--   BENCH_TAG     free text echoed on the result line
--
-- Requests are formatted once per thread in init() so that request() costs
-- almost nothing on the client side. done() prints one machine-readable line
-- (tab-separated key=value pairs after the word BENCH) that run.sh parses;
-- latencies are in microseconds there, as wrk records them.

local mode = os.getenv("BENCH_MODE") or "me"
local token = os.getenv("BENCH_TOKEN") or ""
local tag = os.getenv("BENCH_TAG") or mode

local function urlencode(s)
	return (s:gsub("[^%w%-%._~]", function(c)
		return string.format("%%%02X", string.byte(c))
	end))
end

-- Thread numbering, so that each thread starts PATCHing at another id.
local thread_count = 0
function setup(thread)
	thread:set("thread_index", thread_count)
	thread_count = thread_count + 1
end

local requests = {}
local next_request = 1

function init(args)
	local bearer = { ["Authorization"] = "Bearer " .. token }
	local json_bearer = {
		["Authorization"] = "Bearer " .. token,
		["Content-Type"] = "application/json",
	}
	if mode == "me" then
		requests[1] = wrk.format("GET", "/users/me", bearer)
	elseif mode == "list" then
		requests[1] = wrk.format("GET", "/posts?limit=100", {})
	elseif mode == "create" then
		requests[1] = wrk.format("POST", "/posts", json_bearer,
		    '{"title":"bench post","content":"written by the wrk ' ..
		    'benchmark, a body of ordinary size for a short post."}')
	elseif mode == "patch" then
		local ids = os.getenv("BENCH_IDS") or ""
		for id in ids:gmatch("%d+") do
			requests[#requests + 1] = wrk.format("PATCH",
			    "/posts/" .. id, json_bearer,
			    '{"content":"edited by the wrk benchmark"}')
		end
		if #requests == 0 then
			error("BENCH_MODE=patch needs BENCH_IDS")
		end
		-- spread the threads over the id list
		local first = ((thread_index or 0) * 37) % #requests
		next_request = first + 1
	elseif mode == "login" then
		local body = "grant_type=password&username=" ..
		    urlencode(os.getenv("BENCH_USER") or "") .. "&password=" ..
		    urlencode(os.getenv("BENCH_PASS") or "")
		requests[1] = wrk.format("POST", "/auth/token",
		    { ["Content-Type"] = "application/x-www-form-urlencoded" },
		    body)
	else
		error("unknown BENCH_MODE " .. mode)
	end
end

function request()
	local r = requests[next_request]
	next_request = next_request + 1
	if next_request > #requests then
		next_request = 1
	end
	return r
end

function done(summary, latency, req)
	local e = summary.errors
	local secs = summary.duration / 1e6
	local rps = 0
	if secs > 0 then
		rps = summary.requests / secs
	end
	local function ms(p)
		return latency:percentile(p) / 1000.0
	end
	io.write(string.format("BENCH\ttag=%s\tmode=%s\trequests=%d" ..
	    "\tduration_us=%d\trps=%.2f\tp50_ms=%.3f\tp99_ms=%.3f" ..
	    "\tp999_ms=%.3f\tmean_ms=%.3f\tmax_ms=%.3f\tnon2xx=%d" ..
	    "\tconnect=%d\tread=%d\twrite=%d\ttimeout=%d\n",
	    tag, mode, summary.requests, summary.duration, rps, ms(50),
	    ms(99), ms(99.9), latency.mean / 1000.0, latency.max / 1000.0,
	    e.status, e.connect, e.read, e.write, e.timeout))
end
