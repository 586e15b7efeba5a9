"""Cases: what an investigation is about, who works on it, under which authority."""
