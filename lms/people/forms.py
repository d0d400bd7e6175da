from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField


class ImportForm(FlaskForm):
    file = FileField("Staff list (CSV file)", validators=[
        FileRequired("Choose a CSV file to upload."),
        FileAllowed(["csv"], "Upload a .csv file: in Excel choose Save As > 'CSV UTF-8 (Comma delimited)'."),
    ])
    full = BooleanField("This file lists every member of staff (people not in it will be deactivated)")
