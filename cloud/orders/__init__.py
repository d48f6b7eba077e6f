"""Selling tickets: holds (a buyer's cart, reserved for a while) and the orders they become."""
