"""WTForms classes by journey. Every validator message is translatable."""
