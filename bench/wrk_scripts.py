"""The wrk Lua scripts of the HTTP bench: fixed requests, order seeding and payments."""

from __future__ import annotations

from pathlib import Path

Headers = dict[str, str]


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def _header_lines(headers: Headers) -> list[str]:
    # "[ [==[" with a space: "[[" would open a long string.
    return [
        f"wrk.headers[ {_lua_string(name)} ] = {_lua_string(value)}"
        for name, value in headers.items()
    ]


def post_script(body: str, headers: Headers) -> str:
    """The same JSON POST on every request."""
    lines = [
        'wrk.method = "POST"',
        f"wrk.body = {_lua_string(body)}",
        'wrk.headers["Content-Type"] = "application/json"',
        *_header_lines(headers),
    ]
    return "\n".join(lines) + "\n"


def get_script(headers: Headers) -> str:
    return "\n".join(_header_lines(headers)) + "\n"


def seed_orders_script(body: str, headers: Headers, ids_file: Path) -> str:
    """``POST orders/`` as fast as the server takes it; the ids of the created orders are
    written to ``ids_file``, one a line, when wrk is done."""
    return (
        post_script(body, headers)
        + f"""
local threads = {{}}
function setup(thread)
  table.insert(threads, thread)
end
ids = {{}}
function response(status, headers, body)
  if status == 201 then
    local id = body:match('"order_id"%s*:%s*"([%x%-]+)"')
    if id then table.insert(ids, id) end
  end
end
function done(summary, latency, requests)
  local out = assert(io.open({_lua_string(str(ids_file))}, "w"))
  for _, thread in ipairs(threads) do
    for _, id in ipairs(thread:get("ids")) do out:write(id, "\\n") end
  end
  out:close()
end
"""
    )


def payments_script(headers: Headers, card: str, ids_file: Path, threads: int) -> str:
    """``POST payments/`` paying each order of ``ids_file`` once, wrk's threads splitting
    the orders between them (an order paid twice would answer 409)."""
    return f"""
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  ids = {{}}
  local i = 0
  for line in io.lines({_lua_string(str(ids_file))}) do
    if i % {threads} == tid then table.insert(ids, line) end
    i = i + 1
  end
  pos = 0
  wrk.headers["Content-Type"] = "application/json"
{chr(10).join("  " + line for line in _header_lines(headers))}
end
function request()
  pos = pos + 1
  local id = ids[((pos - 1) % #ids) + 1]
  return wrk.format("POST", nil, nil,
    '{{"order_id": "' .. id .. '", "card_details": ' .. {_lua_string(card)} .. '}}')
end
"""
