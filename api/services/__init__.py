"""The account API's service layer: what the routes and the operator console both do.

Why a layer: the console used to call route functions as if they were one, and the same
rules (taking an escalation, a callback's note) lived twice. Each function here takes a
Session and plain arguments, applies the rules once, and returns the response models of
`api.schemas` (or raises `ApiError` with the refusal's reason). Routes only read the
request (who asks, headers, the clock) and call one of these; the console does the same
with the operator of its login.
"""
