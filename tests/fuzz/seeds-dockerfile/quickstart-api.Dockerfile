# The quickstart's API: busybox httpd serving CGI scripts that read and write Redis.
FROM quickstart-base
COPY --chmod=0755 cgi-bin/ /srv/cgi-bin/
EXPOSE 8080
CMD ["busybox", "httpd", "-f", "-v", "-p", "8080", "-h", "/srv"]
