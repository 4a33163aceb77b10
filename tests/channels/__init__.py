"""Tests of the channel adapters against the platform emulators."""
