"""Django: ``CognitoGateMiddleware``, ``include("cognito_gate.django.urls")``,
``request.cognito_user``, decorators and a class-based-view mixin.

Needs the ``django`` extra (``pip install 'cognito-gate[django]'``). Add ``"cognito_gate.django"``
to ``INSTALLED_APPS`` for its templates (``cognito_gate/error.html``, overridable the Django way).
"""

from ..extras import need

need("django", "django", "cognito_gate.django")
