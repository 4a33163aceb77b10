"""Local emulators of the messaging platforms (``telegram``, ``vk``) for end-to-end tests.

Each emulator lives in its own module and is imported from there, so that one platform's
dependencies never load with the other's tests.
"""
