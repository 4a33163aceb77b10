"""Adapters of address services (`bot.core.ports.AddressService`); the core never imports them."""
