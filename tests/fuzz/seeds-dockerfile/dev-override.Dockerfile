# The production image: the site is baked in.
FROM busybox
COPY site/ /srv/
EXPOSE 8080
CMD ["httpd", "-f", "-p", "8080", "-h", "/srv"]
