"""MyOpenIP order contacts: the service behind step 2 of placing an order."""
