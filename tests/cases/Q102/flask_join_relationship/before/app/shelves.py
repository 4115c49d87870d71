from app import db


class Shelf(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    label = db.Column(db.String(80))
