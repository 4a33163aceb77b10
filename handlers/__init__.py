"""Thin aiogram routers and vkbottle labelers that translate channel events into calls to the core.

Split by who is talking (citizen, body administrator, coordinator); no business logic here.
"""
