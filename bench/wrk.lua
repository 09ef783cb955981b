-- wrk.lua - the one wrk script every benchmark scenario runs.
--
-- run.sh picks the scenario and passes its inputs through the environment
-- (each wrk thread has its own Lua state, and os.getenv works in all of
-- them):
--
--   BENCH_MODE    me      GET  /users/me              (Bearer)
--                 apikey  GET  /users/me              (X-API-Key)
--                 list    GET  /posts?limit=100
--                 stream  GET  /posts                 (every post)
--                 create  POST /posts                 (Bearer, JSON)
--                 patch   PATCH /posts/{id}           (Bearer, JSON; ids
--                                                      from BENCH_IDS, spread
--                                                      over the threads)
--                 login   POST /auth/token            (form body)
--                 refresh POST /auth/refresh          (JSON; chained, below)
--                 todos   a todos CRUD cycle          (Bearer; chained, below)
--   BENCH_TOKEN   access token for the Bearer modes
--   BENCH_APIKEY  API key for "apikey"
--   BENCH_REFRESH_FILE, BENCH_REFRESH_PER_THREAD   for "refresh": a file of
--                 fresh refresh tokens, one a line (one session each), and
--                 how many of them each thread takes (thread i takes lines
--                 i*n+1 .. (i+1)*n)
--   BENCH_IDS     comma-separated post ids for "patch"
--   BENCH_USER, BENCH_PASS   credentials for "login"
--   BENCH_LOGIN_USERS  comma-separated usernames (password BENCH_PASS) that
--                 "login" takes in turn instead of BENCH_USER
--   BENCH_TAG     free text echoed on the result line
--
-- Requests are formatted once per thread in init() so that request() costs
-- almost nothing on the client side. done() prints one machine-readable line
-- (tab-separated key=value pairs after the word BENCH) that run.sh parses;
-- latencies are in microseconds there, as wrk records them.
--
-- "refresh" cannot replay one request: a refresh token works once (a spent
-- one presented again revokes its session and is answered 401). Each thread
-- keeps a FIFO queue of live tokens: request() takes the oldest, response()
-- appends the one the answer carries. wrk calls request() whenever one of the
-- thread's connections may send, and response() when one has received, so
-- with at least as many tokens as connections every connection always finds
-- a live token, and each token is presented exactly once. run.sh gives each
-- thread two more tokens than it has connections: wrk's start-up check calls
-- request() once on the first thread and throws the request away. A response
-- that is not a 200 carrying a refresh token breaks its chain; those are
-- counted (wrk counts status >= 400 itself as non-2xx; "badresp" counts the
-- rest), and if the queue ever runs dry, request() sends a token that cannot
-- be valid (401) and counts it as "starved". run.sh fails a refresh run that
-- had any of these: it would be a harness bug, or a server bug.
--
-- "todos" runs cycles of five requests: POST /todos, GET /todos/{id},
-- PATCH /todos/{id}, GET /todos, DELETE /todos/{id}, then a new POST. wrk
-- does not tell request() or response() which connection they serve, so
-- the cycles are not pinned to connections: each thread keeps a FIFO queue
-- of next steps. response() recognises which step an answer ends by its
-- shape alone (201 with an id: a create; 200 object with "completed":false:
-- a GET, since the todo is created with false; 200 object with
-- "completed":true: the PATCH, which sets it; 200 array: the list; 204: the
-- delete) and queues the cycle's next step; request() takes the oldest, or
-- starts a new cycle with a POST when the queue is empty. Only the list
-- answer does not carry the id of its cycle: the PATCH answer also puts the
-- id on a second queue, and each list answer takes one from there for its
-- DELETE (the cycles may swap ids; every todo is still read, edited, listed
-- and deleted once). Any other answer ends its cycle and counts as badresp
-- (2xx/3xx) or non-2xx (wrk); run.sh fails a todos run that had any.
-- Cycles cut off by the end of a run leave todos behind: run.sh deletes
-- them before the next run (seed.py clean-todos).

local mode = os.getenv("BENCH_MODE") or "me"
local token = os.getenv("BENCH_TOKEN") or ""
local tag = os.getenv("BENCH_TAG") or mode

local function urlencode(s)
	return (s:gsub("[^%w%-%._~]", function(c)
		return string.format("%%%02X", string.byte(c))
	end))
end

-- The main Lua state's slice of BENCH_REFRESH_FILE for thread I (0-based),
-- as one newline-separated string.
local refresh_lines
local function refresh_slice(i)
	local per = tonumber(os.getenv("BENCH_REFRESH_PER_THREAD") or "")
	if not per or per < 1 then
		error("BENCH_MODE=refresh needs BENCH_REFRESH_PER_THREAD")
	end
	if not refresh_lines then
		local path = os.getenv("BENCH_REFRESH_FILE") or ""
		local f = io.open(path, "r")
		if not f then
			error("BENCH_MODE=refresh: cannot read BENCH_REFRESH_FILE '" ..
			    path .. "'")
		end
		refresh_lines = {}
		for line in f:lines() do
			if line ~= "" then
				refresh_lines[#refresh_lines + 1] = line
			end
		end
		f:close()
	end
	if #refresh_lines < (i + 1) * per then
		error(string.format("BENCH_REFRESH_FILE has %d tokens; thread " ..
		    "%d needs lines %d..%d", #refresh_lines, i, i * per + 1,
		    (i + 1) * per))
	end
	return table.concat(refresh_lines, "\n", i * per + 1, (i + 1) * per)
end

-- Thread numbering, so that each thread starts PATCHing at another id; the
-- threads are kept for done(), which sums their counters.
local thread_count = 0
local threads = {}
function setup(thread)
	thread:set("thread_index", thread_count)
	if mode == "refresh" then
		thread:set("refresh_initial", refresh_slice(thread_count))
	end
	thread_count = thread_count + 1
	threads[thread_count] = thread
end

-- Per-thread counters (globals, so that done() can read them with
-- thread:get): see "refresh" above.
badresp = 0
starved = 0

-- The refresh token queue of this thread.
local queue, qhead, qtail = {}, 1, 0
local function push(t)
	qtail = qtail + 1
	queue[qtail] = t
end
local function pop()
	if qhead > qtail then
		return nil
	end
	local t = queue[qhead]
	queue[qhead] = nil
	qhead = qhead + 1
	return t
end
local json_only = { ["Content-Type"] = "application/json" }

local requests = {}
local next_request = 1
-- "todos": the requests that carry no id, formatted once in init()
local todo_bearer, todo_json, todo_create, todo_list

function init(args)
	local bearer = { ["Authorization"] = "Bearer " .. token }
	local json_bearer = {
		["Authorization"] = "Bearer " .. token,
		["Content-Type"] = "application/json",
	}
	if mode == "me" then
		requests[1] = wrk.format("GET", "/users/me", bearer)
	elseif mode == "apikey" then
		local key = os.getenv("BENCH_APIKEY") or ""
		if key == "" then
			error("BENCH_MODE=apikey needs BENCH_APIKEY")
		end
		requests[1] = wrk.format("GET", "/users/me",
		    { ["X-API-Key"] = key })
	elseif mode == "refresh" then
		for t in (refresh_initial or ""):gmatch("[^\n]+") do
			push(t)
		end
		if qtail == 0 then
			error("BENCH_MODE=refresh: no refresh token for this thread")
		end
	elseif mode == "list" then
		requests[1] = wrk.format("GET", "/posts?limit=100", {})
	elseif mode == "stream" then
		requests[1] = wrk.format("GET", "/posts", {})
	elseif mode == "todos" then
		todo_bearer = bearer
		todo_json = json_bearer
		todo_create = wrk.format("POST", "/todos", json_bearer,
		    '{"title":"bench todo","completed":false}')
		todo_list = wrk.format("GET", "/todos", bearer)
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
		-- one user, or each of BENCH_LOGIN_USERS in turn
		local users = os.getenv("BENCH_LOGIN_USERS") or ""
		if users == "" then
			users = os.getenv("BENCH_USER") or ""
		end
		for u in users:gmatch("[^,]+") do
			requests[#requests + 1] = wrk.format("POST",
			    "/auth/token", { ["Content-Type"] =
			    "application/x-www-form-urlencoded" },
			    "grant_type=password&username=" .. urlencode(u) ..
			    "&password=" ..
			    urlencode(os.getenv("BENCH_PASS") or ""))
		end
		next_request = ((thread_index or 0) * 7) % #requests + 1
	else
		error("unknown BENCH_MODE " .. mode)
	end
end

function request()
	if mode == "refresh" then
		local t = pop()
		if not t then
			starved = starved + 1
			t = "starved-no-live-refresh-token"
		end
		return wrk.format("POST", "/auth/refresh", json_only,
		    '{"refresh_token":"' .. t .. '"}')
	end
	if mode == "todos" then
		local step = pop()
		if not step then
			return todo_create -- a new cycle
		end
		return step
	end
	local r = requests[next_request]
	next_request = next_request + 1
	if next_request > #requests then
		next_request = 1
	end
	return r
end

-- The todos cycle's ids waiting for their DELETE (see "todos" above).
local delq, dhead, dtail = {}, 1, 0

-- Defined for "refresh" and "todos" only: with a response() function, wrk
-- parses every response's headers and body, which the other modes need not
-- pay for.
if mode == "todos" then
	function response(status, headers, body)
		local id
		body = body or ""
		if status == 201 then
			id = body:match('"id"%s*:%s*(%d+)')
			if id then
				push(wrk.format("GET", "/todos/" .. id, todo_bearer))
				return
			end
		elseif status == 200 and body:match("^%s*%[") then
			if dhead <= dtail then
				id = delq[dhead]
				delq[dhead] = nil
				dhead = dhead + 1
				push(wrk.format("DELETE", "/todos/" .. id,
				    todo_bearer))
				return
			end
		elseif status == 200 then
			id = body:match('"id"%s*:%s*(%d+)')
			if id and body:match('"completed"%s*:%s*false') then
				push(wrk.format("PATCH", "/todos/" .. id, todo_json,
				    '{"title":"bench todo, edited",' ..
				    '"completed":true}'))
				return
			elseif id and body:match('"completed"%s*:%s*true') then
				dtail = dtail + 1
				delq[dtail] = id
				push(todo_list)
				return
			end
		elseif status == 204 then
			return -- deleted: request() starts the next cycle
		end
		if status < 400 then
			badresp = badresp + 1 -- wrk counts >= 400 as non-2xx
		end
	end
end

if mode == "refresh" then
	function response(status, headers, body)
		if status == 200 then
			local t = body and
			    body:match('"refresh_token"%s*:%s*"([^"\\]+)"')
			if t then
				push(t)
				return
			end
		end
		if status < 400 then
			badresp = badresp + 1 -- wrk counts >= 400 as non-2xx
		end
	end
end

function done(summary, latency, req)
	local e = summary.errors
	local bad, hungry = 0, 0
	for _, thread in ipairs(threads) do
		bad = bad + (thread:get("badresp") or 0)
		hungry = hungry + (thread:get("starved") or 0)
	end
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
	    "\tconnect=%d\tread=%d\twrite=%d\ttimeout=%d" ..
	    "\tbadresp=%d\tstarved=%d\n",
	    tag, mode, summary.requests, summary.duration, rps, ms(50),
	    ms(99), ms(99.9), latency.mean / 1000.0, latency.max / 1000.0,
	    e.status, e.connect, e.read, e.write, e.timeout, bad, hungry))
end
