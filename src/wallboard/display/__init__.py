"""Everything pygame: layout, widgets, theme, fonts, screen schedule and screenshots.

The display only reads board state; it never changes it. Importing this
package does not import pygame: modules that draw import it themselves.
"""
