-- wrk script for bench/webhooks.py: replays pre-signed Twilio webhook requests and checks every answer.
--
--   wrk -t2 -c16 -d10s -s bench/wrk_cycle.lua http://127.0.0.1:PORT -- REQUESTS_FILE MARKER
--
-- REQUESTS_FILE has one request per line: "path<TAB>X-Twilio-Signature<TAB>form body". Each wrk thread
-- takes every n-th line (its own slice), so no CallSid is sent twice; a thread that runs out starts its
-- slice again and counts it in "wrapped" (the benchmark then says the figure is not valid).
-- An answer counts as good only when it is 200, text/xml and contains MARKER (e.g. "<Gather" for the
-- menu, "<Number" for a Dial to a senior): our error handler answers 200 TwiML to the switchboard on
-- failure, so the status code alone would hide errors.
-- At the end one line "BENCH_JSON {...}" carries the figures for the Python side.

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   local path, nthreads = args[1], tonumber(args[3])
   marker = args[2]
   requests_list = {}
   local line_no = 0
   for line in io.lines(path) do
      if line_no % nthreads == tid then
         local target, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
         table.insert(requests_list, wrk.format("POST", target, {
            ["Content-Type"] = "application/x-www-form-urlencoded",
            ["X-Twilio-Signature"] = signature,
            ["User-Agent"] = "TwilioProxy/1.1",
            ["I-Twilio-Idempotency-Token"] = signature:sub(1, 16),
         }, body))
      end
      line_no = line_no + 1
   end
   index = 0
   wrapped = 0
   bad = 0
   sample = ""
end

function request()
   index = index + 1
   if index > #requests_list then
      index = 1
      wrapped = wrapped + 1
   end
   return requests_list[index]
end

function response(status, headers, body)
   local content_type = ""
   for name, value in pairs(headers) do
      if name:lower() == "content-type" then content_type = value end
   end
   if status ~= 200 or content_type:sub(1, 8) ~= "text/xml" or not body:find(marker, 1, true) then
      bad = bad + 1
      if sample == "" then
         sample = status .. " " .. content_type .. " " .. body:sub(1, 300)
      end
   end
end

local function quote(s)
   return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function done(summary, latency, requests)
   local bad_total, wrapped_total, sample_first = 0, 0, ""
   for _, thread in ipairs(threads) do
      bad_total = bad_total + (thread:get("bad") or 0)
      wrapped_total = wrapped_total + (thread:get("wrapped") or 0)
      local s = thread:get("sample") or ""
      if sample_first == "" then sample_first = s end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, '
         .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, '
         .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, "http_errors": %d, '
         .. '"bad_answers": %d, "wrapped": %d, "sample": %s}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
      e.connect, e.read, e.write, e.timeout, e.status,
      bad_total, wrapped_total, quote(sample_first)))
end
