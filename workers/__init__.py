"""Background work on dramatiq + Redis: notifications, fees, autopayments, alerts."""
