from ruralnet.cli import app

app()
