"""The checks run outside the sandbox, on the outputs the student's code handed out (the
`outputs` fixture of mlpath's checker); the inputs are probe/_inputs.py's, as the probes used."""
