"""Templated transactional email sent by Celery workers on RabbitMQ, with retries and an outbox."""
