"""SMS: Twilio-compatible gateways and Kannel, plus the encoding rules both share."""
