from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    # An empty file is accepted here so that the job records it and says what is wrong with it.
    file = forms.FileField(label=_("File (CSV or Excel)"), allow_empty_file=True, max_length=255)
