"""Moving a team from another email service to SES: `sesctl migrate sendgrid`.

The flow mirrors plan/apply: read the other service (its API, or files it exported) into the
typed values of `source`; convert them into a sesctl config, template files and a list of what
became of each item (`convert`, with `templates` for SendGrid's Handlebars dialect); write the
config, the files and a markdown report (`write`, `report`). Nothing here calls SES: the
output is a file for people to review, then `sesctl validate`, `plan` and `apply`.
"""
