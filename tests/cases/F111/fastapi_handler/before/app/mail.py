import smtplib
from email.message import EmailMessage


def send_welcome(user):
    message = EmailMessage()
    message["To"] = user.email
    message.set_content(f"Welcome, {user.name}!")
    with smtplib.SMTP("localhost") as smtp:
        smtp.send_message(message)
