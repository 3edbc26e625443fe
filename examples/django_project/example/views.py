from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cognito_gate.django.decorators import login_required


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "page.html", {"title": "Home", "heading": "Django example"})


@login_required
def protected(request: HttpRequest) -> HttpResponse:
    return render(request, "page.html", {
        "title": "Protected", "heading": f"Only for {request.cognito_user.email}"})
