from seoaudit.cli.main import run

run()
