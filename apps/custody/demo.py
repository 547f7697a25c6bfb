"""placeholder"""


def seed(context):
    return None
