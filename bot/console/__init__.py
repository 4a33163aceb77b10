"""The web console: server-rendered pages (aiohttp-jinja2) on the bot's own aiohttp server.

`console_app` is a sub-application mounted at ``/console/`` (`bot.serve.build_web_app`), so its
middleware (sessions, CSRF, security headers) never touches the webhooks beside it. The pages
are thin: they read the request (`bot.console.params`), call the core's use cases
(`bot.core.console_access`, `bot.core.console_desk`) and render a template; no CDN, no
JavaScript needed, one small stylesheet that works on a phone.
"""
